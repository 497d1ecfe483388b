// Thin wrappers: see CPosix.h for why they exist.
#define _GNU_SOURCE
#include "CPosix.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint32_t to_epoll(uint32_t interest) {
    uint32_t ev = 0;
    if (interest & CPOSIX_READABLE) ev |= EPOLLIN | EPOLLRDHUP;
    if (interest & CPOSIX_WRITABLE) ev |= EPOLLOUT;
    return ev;
}

int cposix_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cposix_epoll_add(int epfd, int fd, uint32_t interest, uint64_t token, int exclusive) {
    struct epoll_event ev = {0};
    // EPOLLEXCLUSIVE admits only EPOLLIN/EPOLLOUT: no EPOLLRDHUP on a shared listener.
    ev.events = exclusive ? (EPOLLIN | EPOLLEXCLUSIVE) : to_epoll(interest);
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int cposix_epoll_modify(int epfd, int fd, uint32_t interest, uint64_t token) {
    struct epoll_event ev = {0};
    ev.events = to_epoll(interest);
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

int cposix_epoll_remove(int epfd, int fd) {
    struct epoll_event ev = {0};
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

int cposix_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint32_t e = evs[i].events, out = 0;
        if (e & EPOLLIN) out |= CPOSIX_READABLE;
        if (e & EPOLLOUT) out |= CPOSIX_WRITABLE;
        if (e & (EPOLLHUP | EPOLLRDHUP)) out |= CPOSIX_HANGUP;
        if (e & EPOLLERR) out |= CPOSIX_ERROR;
        tokens[i] = evs[i].data.u64;
        events[i] = out;
    }
    return n;
}

int cposix_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int cposix_eventfd_signal(int fd) {
    uint64_t one = 1;
    return (int)write(fd, &one, sizeof one);
}

int cposix_eventfd_drain(int fd) {
    uint64_t value;
    return (int)read(fd, &value, sizeof value);
}

static sigset_t handled_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

int cposix_block_signals(void) {
    signal(SIGPIPE, SIG_IGN);
    sigset_t set = handled_signals();
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int cposix_wait_signal(int timeout_ms) {
    sigset_t set = handled_signals();
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    int sig = sigtimedwait(&set, NULL, &ts);
    return sig < 0 ? 0 : sig;
}

int cposix_inotify_init(void) { return inotify_init1(IN_NONBLOCK | IN_CLOEXEC); }

int cposix_inotify_watch_dir(int fd, const char *path) {
    return inotify_add_watch(fd, path, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                             IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
}

int cposix_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int cposix_set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int cposix_set_cork(int fd, int on) {
    return setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}

#include <sys/ioctl.h>
int cposix_readable_bytes(int fd) {
    int n = 0;
    return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

int cposix_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

#include <sched.h>
int cposix_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return (int)sysconf(_SC_NPROCESSORS_ONLN);
    return CPU_COUNT(&set);
}
