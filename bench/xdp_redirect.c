// The kernel XDP redirect between the two containers' host ends: the reference path
// `xdp-redirect` of scripts/bench_containers.sh, not part of dpdk_switch.
//
// Each host end sends every frame it receives straight to the other host end (bpf_redirect to
// TO_IFINDEX, given at compile time): no lookup, no user space, no copy into a UMEM. It is the
// least work any forwarder that takes frames off a veth with XDP can do, so it bounds what the
// af_xdp paths can reach on this kernel. The containers' eth0 get `pass`: veth delivers a
// redirected frame only to a peer whose XDP receive path (NAPI) is on.
//
// Built by the script: clang -O2 -target bpf -DTO_IFINDEX=N -c bench/xdp_redirect.c
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

static long (*bpf_redirect)(__u32 ifindex, __u64 flags) = (void *)BPF_FUNC_redirect;

SEC("xdp") int to_peer(struct xdp_md *ctx) {
    (void)ctx;
    return (int)bpf_redirect(TO_IFINDEX, 0);
}

SEC("xdp") int pass(struct xdp_md *ctx) {
    (void)ctx;
    return XDP_PASS;
}

char license_text[] SEC("license") = "GPL";
