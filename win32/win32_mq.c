/* win32/win32_mq.c: placeholder, replaced below. */
