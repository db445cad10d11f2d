// IfaceWhere: where a port's kernel interface is now, for a kind that follows it by its file
// descriptor (a tap, which a container runtime moves into the container's namespace and renames,
// often eth0). `show port info` names it so, and its kernel counters are read by it.
#pragma once

#include <string>

namespace dsw {

struct IfaceWhere {
    std::string name;         // its name now, where it is; "" once it is gone
    bool elsewhere = false;   // in another network namespace than the switch's

    // Its name in the switch's namespace: "" while it is elsewhere, or gone.
    std::string here() const { return elsewhere ? std::string() : name; }
};

}  // namespace dsw
