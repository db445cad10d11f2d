// Waits for what a running switch's worker does: true once `pred` holds, false if it still does
// not after `ms` milliseconds.
#pragma once

#include <chrono>
#include <thread>

namespace dsw::test {

template <typename Pred>
bool eventually(Pred pred, int ms = 3000) {
    for (int i = 0; i < ms; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
}

}  // namespace dsw::test
