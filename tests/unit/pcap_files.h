// Test helpers: write frames to a pcap file (a net_pcap port's rx_pcap) and read a port's
// tx_pcap back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pcap/pcap.h>

namespace dsw::test {

using Frame = std::vector<uint8_t>;

inline void write_pcap(const std::string &path, const std::vector<Frame> &frames) {
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = pcap_dump_open(p, path.c_str());
    for (const Frame &f : frames) {
        pcap_pkthdr h{};
        h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
        pcap_dump(reinterpret_cast<u_char *>(d), &h, f.data());
    }
    pcap_dump_close(d);
    pcap_close(p);
}

inline std::vector<Frame> read_pcap(const std::string &path) {
    std::vector<Frame> out;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path.c_str(), err);
    if (p == nullptr) return out;
    pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(p, &h, &data) == 1) out.emplace_back(data, data + h->caplen);
    pcap_close(p);
    return out;
}

}  // namespace dsw::test
