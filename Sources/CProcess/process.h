#ifndef URNN_CPROCESS_H
#define URNN_CPROCESS_H
// Ask the kernel to send `sig` to this process when its parent dies (Linux PR_SET_PDEATHSIG).
// prctl is variadic, which Swift cannot call, hence this header-only wrapper. Returns 0 on
// success, -1 with errno set on failure, and -1 with errno ENOSYS where it does not exist.
#include <errno.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

static inline int urnn_set_parent_death_signal(int sig) {
#if defined(__linux__)
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
#else
    (void)sig;
    errno = ENOSYS;
    return -1;
#endif
}

#endif
