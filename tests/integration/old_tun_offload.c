/* LD_PRELOAD shim for test_vtap_old_kernel.py: a tap as Linux before 6.17 makes it. Such a kernel
 * answers EINVAL to TUNSETOFFLOAD with a bit it does not know (tun's set_offload), and the UDP-
 * tunnel GSO bits (TUN_F_UDP_TUNNEL_GSO 0x080, TUN_F_UDP_TUNNEL_GSO_CSUM 0x100) came with 6.17.
 * Every other call, and TUNSETOFFLOAD without those bits, goes to the kernel as it is: the kernel
 * then hands the tap no tunnel GSO skb (it segments them first). This kernel's tap still parses a
 * tunnel header written to it; an older one has no such header. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <sys/ioctl.h>

int ioctl(int fd, unsigned long request, ...) {
    static int (*real)(int, unsigned long, ...);
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (real == 0) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    if (request == TUNSETOFFLOAD && ((unsigned long)arg & 0x180)) {
        errno = EINVAL;
        return -1;
    }
    return real(fd, request, arg);
}
