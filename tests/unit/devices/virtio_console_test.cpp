// devices/virtio/console against virtio 1.2 §5.3 (single port, no optional features), driven
// through the virtio-mmio transport: guest output to the sink, host input to receive buffers.
#include "devices/virtio/console/device.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>

#include "virtio_mmio_driver.h"

namespace {

using namespace xvm;
using namespace xvm::test;
using devices::virtio::console::ConsoleDevice;

constexpr unsigned RX = 0, TX = 1;  // §5.3.2: receiveq(port0), transmitq(port0)
constexpr uint64_t kBuf = MmioDriver::kBuffers;

struct ConsoleFixture : MmioDriver {
  ConsoleFixture() {
    auto d = std::make_unique<ConsoleDevice>([this](std::span<const uint8_t> s) {
      std::lock_guard lock(out_mu);
      out.append(s.begin(), s.end());
    });
    con = d.get();
    attach(std::move(d));
    init(reg::F_VERSION_1, 2);
  }
  std::string output() {
    std::lock_guard lock(out_mu);
    return out;
  }
  void put(uint64_t pa, const std::string& s) { mem.write(GuestPhysAddr{pa}, s.data(), s.size()); }
  std::string get(uint64_t pa, size_t n) {
    auto b = bytes(pa, n);
    return std::string(b.begin(), b.end());
  }
  ConsoleDevice* con;
  std::mutex out_mu;
  std::string out;
};

TEST(VirtioConsole, IdentifiesAsConsoleWithNoOptionalFeatures) {
  ConsoleFixture f;
  EXPECT_EQ(f.rd(reg::kDeviceId), 3u);  // §5.3.1
  // §5.3.3: SIZE (0), MULTIPORT (1), EMERG_WRITE (2) are not offered.
  EXPECT_EQ(f.device_features(), reg::F_VERSION_1);
  f.wr(reg::kQSel, 2);
  EXPECT_EQ(f.rd(reg::kQNumMax), 0u);  // only two queues without MULTIPORT (§5.3.2)
}

TEST(VirtioConsole, GuestOutputReachesTheSinkInOrder) {
  ConsoleFixture f;
  f.put(kBuf, "hello, ");
  f.put(kBuf + 0x100, "world\n");
  UsedElem e = f.run(TX, {{kBuf, 7, false}, {kBuf + 0x100, 6, false}});
  EXPECT_EQ(e.len, 0u);  // nothing written into a transmit buffer
  f.put(kBuf + 0x200, "second");
  f.run(TX, {{kBuf + 0x200, 6, false}});
  EXPECT_EQ(f.output(), "hello, world\nsecond");
  EXPECT_TRUE(f.irq.level.load());
}

TEST(VirtioConsole, HostInputWaitsForReceiveBuffersThenArrivesInOrder) {
  ConsoleFixture f;
  const std::string typed = "ls -l\n";
  EXPECT_EQ(f.con->push_input({reinterpret_cast<const uint8_t*>(typed.data()), typed.size()}),
            typed.size());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(f.q[RX].used_idx(), 0u);  // no buffer posted yet: nothing used
  EXPECT_EQ(f.con->input_pending(), typed.size());
  // A 4-byte buffer takes the first 4 bytes, the next buffer the rest.
  f.fill(kBuf, 64, 0);
  UsedElem e = f.run(RX, {{kBuf, 4, true}});
  EXPECT_EQ(e.len, 4u);
  EXPECT_EQ(f.get(kBuf, 4), "ls -");
  e = f.run(RX, {{kBuf + 0x100, 32, true}});
  EXPECT_EQ(e.len, 2u);
  EXPECT_EQ(f.get(kBuf + 0x100, 2), "l\n");
  EXPECT_EQ(f.con->input_pending(), 0u);
}

TEST(VirtioConsole, PostedReceiveBufferIsFilledWhenInputArrivesLater) {
  ConsoleFixture f;
  f.post(RX, {{kBuf, 16, true}, {kBuf + 0x100, 16, true}});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(f.q[RX].used_idx(), 0u);  // kept until there is input
  const std::string line(20, 'x');
  f.con->push_input({reinterpret_cast<const uint8_t*>(line.data()), line.size()});
  ASSERT_TRUE(f.wait_used(RX, 1));
  EXPECT_EQ(f.q[RX].used(0).len, 20u);  // spans both descriptors
  EXPECT_EQ(f.get(kBuf, 16) + f.get(kBuf + 0x100, 4), line);
}

TEST(VirtioConsole, RoundTripEchoThroughTheSink) {
  // The sink may call push_input (no device lock is held): an echoing host.
  MmioDriver d;
  ConsoleDevice* con = nullptr;
  auto dev = std::make_unique<ConsoleDevice>([&con](std::span<const uint8_t> s) {
    con->push_input(s);
  });
  con = dev.get();
  d.attach(std::move(dev));
  d.init(reg::F_VERSION_1, 2);
  d.post(RX, {{kBuf + 0x1000, 64, true}});
  const std::string msg = "ping";
  d.mem.write(GuestPhysAddr{kBuf}, msg.data(), msg.size());
  d.run(TX, {{kBuf, 4, false}});
  ASSERT_TRUE(d.wait_used(RX, 1));
  EXPECT_EQ(d.q[RX].used(0).len, 4u);
  auto b = d.bytes(kBuf + 0x1000, 4);
  EXPECT_EQ(std::string(b.begin(), b.end()), msg);
}

TEST(VirtioConsole, InputBeyondTheLimitIsNotTaken) {
  ConsoleFixture f;
  std::vector<uint8_t> big(devices::virtio::console::kInputLimit + 10, 'a');
  EXPECT_EQ(f.con->push_input(big), devices::virtio::console::kInputLimit);
  EXPECT_EQ(f.con->push_input(big), 0u);
}

TEST(VirtioConsole, WrongDirectionBuffersAreReturnedUnused) {
  // §5.3.6.1: no device-writable buffer in a transmitq, no device-readable one in a receiveq.
  ConsoleFixture f;
  f.put(kBuf, "secret");
  UsedElem e = f.run(TX, {{kBuf, 6, false}, {kBuf + 0x100, 8, true}});
  EXPECT_EQ(e.len, 0u);
  EXPECT_EQ(f.output(), "");  // refused chains are not printed
  const std::string in = "abc";
  f.con->push_input({reinterpret_cast<const uint8_t*>(in.data()), in.size()});
  f.fill(kBuf + 0x200, 16, 0);
  e = f.run(RX, {{kBuf, 6, false}, {kBuf + 0x200, 16, true}});
  EXPECT_EQ(e.len, 0u);
  EXPECT_EQ(f.get(kBuf + 0x200, 3), std::string(3, '\0'));
  EXPECT_EQ(f.con->refused(), 2u);
  EXPECT_EQ(f.rd(reg::kStatus) & reg::NEEDS_RESET, 0u);
  e = f.run(RX, {{kBuf + 0x200, 16, true}});  // the input was kept for a good buffer
  EXPECT_EQ(e.len, 3u);
  EXPECT_EQ(f.get(kBuf + 0x200, 3), "abc");
}

TEST(VirtioConsole, MoreTransmitChainsThanOnePassAllGetOut) {
  ConsoleFixture f;
  f.init(reg::F_VERSION_1, 2, 128);
  std::string want;
  for (int i = 0; i < 100; ++i) {  // more than kMaxChainsPerPass
    const char c = char('A' + i % 26);
    f.put(kBuf + uint64_t(i), std::string(1, c));
    want += c;
    f.post(TX, {{kBuf + uint64_t(i), 1, false}}, false);
  }
  f.wr(reg::kQNotify, TX);
  ASSERT_TRUE(f.wait_used(TX, 100));
  EXPECT_EQ(f.output(), want);
}

}  // namespace
