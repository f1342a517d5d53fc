/* xipc.h: the umbrella header. Each family header also compiles on its own. */
#ifndef XIPC_H
#define XIPC_H

#include "xipc/base.h"
#include "xipc/fifo.h"
#include "xipc/mq.h"
#include "xipc/npipe.h"
#include "xipc/pipe.h"
#include "xipc/proc.h"
#include "xipc/shm.h"
#include "xipc/sock.h"
#include "xipc/stream.h"
#include "xipc/sync.h"
#include "xipc/version.h"
#include "xipc/waitset.h"

#endif /* XIPC_H */
