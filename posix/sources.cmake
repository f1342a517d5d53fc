# POSIX sources and the feature checks they branch on (XIPC_HAVE_*, never OS names).
include(CheckStructHasMember)
include(CheckSymbolExists)
set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE)
check_symbol_exists(pipe2 "unistd.h;fcntl.h" XIPC_HAVE_PIPE2)
check_symbol_exists(SYS_close_range "sys/syscall.h" XIPC_HAVE_SYS_CLOSE_RANGE)
check_symbol_exists(SYS_pidfd_open "sys/syscall.h" XIPC_HAVE_SYS_PIDFD_OPEN)
check_symbol_exists(SYS_pidfd_send_signal "sys/syscall.h" XIPC_HAVE_SYS_PIDFD_SEND_SIGNAL)
check_symbol_exists(PR_SET_PDEATHSIG "sys/prctl.h" XIPC_HAVE_PR_SET_PDEATHSIG)
check_symbol_exists(memfd_create "sys/mman.h" XIPC_HAVE_MEMFD_CREATE)
check_symbol_exists(tee "fcntl.h" XIPC_HAVE_TEE)
check_symbol_exists(RWF_NOWAIT "sys/uio.h" XIPC_HAVE_RWF_NOWAIT)
check_symbol_exists(epoll_pwait2 "sys/epoll.h" XIPC_HAVE_EPOLL_PWAIT2)
# SO_PEERCRED with Linux's struct ucred (OpenBSD has the option with another struct).
check_symbol_exists(SO_PEERCRED "sys/socket.h" XIPC_HAVE_SO_PEERCRED_OPTION)
check_struct_has_member("struct ucred" pid "sys/socket.h" XIPC_HAVE_STRUCT_UCRED_PID)
if(XIPC_HAVE_SO_PEERCRED_OPTION AND XIPC_HAVE_STRUCT_UCRED_PID)
  set(XIPC_HAVE_SO_PEERCRED 1)
else()
  set(XIPC_HAVE_SO_PEERCRED 0)
endif()
set(CMAKE_REQUIRED_LIBRARIES pthread)
check_symbol_exists(sem_clockwait "semaphore.h" XIPC_HAVE_SEM_CLOCKWAIT)
check_symbol_exists(pthread_mutex_clocklock "pthread.h" XIPC_HAVE_PTHREAD_MUTEX_CLOCKLOCK)
unset(CMAKE_REQUIRED_LIBRARIES)
unset(CMAKE_REQUIRED_DEFINITIONS)

# Portable POSIX first; then the files of one OS's (or C library's) own mechanisms, which a port
# to another Unix replaces (posix/posix_internal.h says what each does).
set(XIPC_PLATFORM_SOURCES
  posix/posix_clock.c
  posix/posix_env.c
  posix/posix_error.c
  posix/posix_fifo.c
  posix/posix_flock.c
  posix/posix_mq.c
  posix/posix_mqueue.c
  posix/posix_names.c
  posix/posix_npipe.c
  posix/posix_pass.c
  posix/posix_proc.c
  posix/posix_sem.c
  posix/posix_shm.c
  posix/posix_signal.c
  posix/posix_sock.c
  posix/posix_spin.c
  posix/posix_socket.c
  posix/posix_stream.c
  posix/posix_sync.c
  posix/posix_syncshm.c
  posix/posix_waitset.c
  posix/posix_closerange.c
  posix/posix_epoll.c
  posix/posix_fifo_probe.c
  posix/posix_futex.c
  posix/posix_futex_waitv.c
  posix/posix_glibc_waiters.c
  posix/posix_memfd.c
  posix/posix_nowait.c
  posix/posix_pdeathsig.c
  posix/posix_peercred.c
  posix/posix_pidfd.c
  posix/posix_selfexe.c
  posix/posix_semfile.c)

set(XIPC_PLATFORM_DEFINES _GNU_SOURCE)
foreach(feature PIPE2 SYS_CLOSE_RANGE SYS_PIDFD_OPEN SYS_PIDFD_SEND_SIGNAL PR_SET_PDEATHSIG
                MEMFD_CREATE SEM_CLOCKWAIT PTHREAD_MUTEX_CLOCKLOCK TEE SO_PEERCRED RWF_NOWAIT
                EPOLL_PWAIT2)
  if(XIPC_HAVE_${feature})
    list(APPEND XIPC_PLATFORM_DEFINES XIPC_HAVE_${feature}=1)
  else()
    list(APPEND XIPC_PLATFORM_DEFINES XIPC_HAVE_${feature}=0)
  endif()
endforeach()
find_package(Threads REQUIRED)
set(XIPC_PLATFORM_LIBS Threads::Threads)
