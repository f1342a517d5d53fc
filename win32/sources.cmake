# Win32 sources (mingw-w64 or MSVC). Only ...W APIs are called; Windows 10 headers, though
# nothing newer than Vista's APIs (PROC_THREAD_ATTRIBUTE_HANDLE_LIST, InitOnce, SRW locks,
# CompareStringOrdinal, CancelIoEx, GetNamedPipeClientProcessId, LCMapStringEx,
# SetFileInformationByHandle) is used.
set(XIPC_PLATFORM_SOURCES
  win32/win32_clock.c
  win32/win32_duplex.c
  win32/win32_env.c
  win32/win32_error.c
  win32/win32_fifo.c
  win32/win32_mq.c
  win32/win32_names.c
  win32/win32_npipe.c
  win32/win32_pass.c
  win32/win32_proc.c
  win32/win32_security.c
  win32/win32_shm.c
  win32/win32_sock.c
  win32/win32_stream.c
  win32/win32_sync.c
  win32/win32_utf8.c
  win32/win32_waitset.c)

set(XIPC_PLATFORM_DEFINES WIN32_LEAN_AND_MEAN UNICODE _UNICODE _WIN32_WINNT=0x0A00)
# advapi32: the owner-only security descriptor (token, SID and SDDL calls); ws2_32: sockets.
set(XIPC_PLATFORM_LIBS advapi32 ws2_32)
