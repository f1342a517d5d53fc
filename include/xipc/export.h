/* xipc/export.h: XIPC_API, how the library's functions are exported and imported.
 *
 * The one platform conditional in include/, kept here alone. It cannot move behind
 * common/platform.h, which only the library's own sources see: every program that includes
 * xipc.h compiles this, and a Windows DLL's callers need __declspec(dllimport) on each function,
 * which only a public header can give them. The CMake targets define XIPC_SHARED_BUILD (building
 * the DLL) and XIPC_SHARED (linking it); the static library needs neither. */
#ifndef XIPC_EXPORT_H
#define XIPC_EXPORT_H

#if defined(_WIN32) && defined(XIPC_SHARED_BUILD)
#define XIPC_API __declspec(dllexport)
#elif defined(_WIN32) && defined(XIPC_SHARED)
#define XIPC_API __declspec(dllimport)
#elif defined(__GNUC__)
#define XIPC_API __attribute__((visibility("default")))
#else
#define XIPC_API
#endif

#endif /* XIPC_EXPORT_H */
