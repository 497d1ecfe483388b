// epoll, eventfd, inotify and signal helpers. struct epoll_event is packed on x86_64, which Swift
// imports poorly, so the event loop talks to epoll only through these functions.
#ifndef CPOSIX_H
#define CPOSIX_H
#include <stdint.h>

enum {
    CPOSIX_READABLE = 1,
    CPOSIX_WRITABLE = 2,
    CPOSIX_HANGUP = 4,
    CPOSIX_ERROR = 8,
};

int cposix_epoll_create(void);
// interest: CPOSIX_READABLE | CPOSIX_WRITABLE; exclusive adds EPOLLEXCLUSIVE (shared listeners).
int cposix_epoll_add(int epfd, int fd, uint32_t interest, uint64_t token, int exclusive);
int cposix_epoll_modify(int epfd, int fd, uint32_t interest, uint64_t token);
int cposix_epoll_remove(int epfd, int fd);
// Fills tokens[i] and events[i] (CPOSIX_* bits); returns the count, or -1 with errno.
int cposix_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);

int cposix_eventfd(void);
int cposix_eventfd_signal(int fd);
int cposix_eventfd_drain(int fd);

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and threads it starts later) and
// ignores SIGPIPE, so that one thread can take them with cposix_wait_signal.
int cposix_block_signals(void);
// Waits up to timeout_ms for SIGTERM, SIGINT or SIGHUP; returns the signal, 0 on timeout.
int cposix_wait_signal(int timeout_ms);

int cposix_inotify_init(void);
// Watches a directory for entries created, moved, removed or written (ConfigMap and Secret
// volumes swap a ..data symlink; editors and cert-manager rename or rewrite files).
int cposix_inotify_watch_dir(int fd, const char *path);

int cposix_accept(int fd);
// CPUs this process may run on (its affinity mask, as taskset or a cgroup cpuset sets it).
int cposix_available_cpus(void);
int cposix_set_nonblocking(int fd);
int cposix_set_nodelay(int fd);
/// TCP_CORK on or off: while on, writes are queued and leave together when it is turned off
/// (or the socket is closed).
int cposix_set_cork(int fd, int on);
// Bytes the kernel holds unread on a socket (FIONREAD: ioctl is variadic, not visible to Swift).
int cposix_readable_bytes(int fd);
#endif
