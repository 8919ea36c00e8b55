// The driver side of virtio-mmio initialisation, without GoogleTest so that the virtqueue fuzz
// target uses it too: the register offsets of virtio 1.2 §4.2.2 (numbers from the spec's table,
// not mmio.h's names, so a wrong constant there shows) and the steps of §3.1.1 / §4.2.3.2 as
// Linux's virtio_mmio performs them.
#pragma once
#include <cstdint>

#include "devices/virtio/mmio.h"
#include "virtq_driver.h"

namespace xvm::test {

namespace reg {
constexpr uint64_t kDeviceId = 0x008, kDevFeat = 0x010, kDevFeatSel = 0x014, kDrvFeat = 0x020,
                   kDrvFeatSel = 0x024, kQSel = 0x030, kQNumMax = 0x034, kQNum = 0x038,
                   kQReady = 0x044, kQNotify = 0x050, kIntStatus = 0x060, kIntAck = 0x064,
                   kStatus = 0x070, kQDescLo = 0x080, kQDescHi = 0x084, kQDrvLo = 0x090,
                   kQDrvHi = 0x094, kQDevLo = 0x0a0, kQDevHi = 0x0a4, kConfig = 0x100;
// Device status bits (§2.1).
constexpr uint32_t ACK = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 64;
constexpr uint64_t F_VERSION_1 = uint64_t{1} << 32;
}  // namespace reg

// 32-bit register accesses (§4.2.2.2), as the driver makes them.
inline uint32_t mmio_rd(devices::virtio::MmioTransport& t, uint64_t off) {
  return uint32_t(t.read(off, 4));
}
inline void mmio_wr(devices::virtio::MmioTransport& t, uint64_t off, uint32_t v) {
  t.write(off, 4, v);
}

// §3.1.1 steps 1-5: reset, ACKNOWLEDGE, DRIVER, the driver's features (two 32-bit words),
// FEATURES_OK. Returns the status read back (step 6: FEATURES_OK stays set if accepted).
inline uint32_t mmio_negotiate(devices::virtio::MmioTransport& t, uint64_t features) {
  using namespace reg;
  mmio_wr(t, kStatus, 0);
  mmio_wr(t, kStatus, ACK);
  mmio_wr(t, kStatus, ACK | DRIVER);
  mmio_wr(t, kDrvFeatSel, 0);
  mmio_wr(t, kDrvFeat, uint32_t(features));
  mmio_wr(t, kDrvFeatSel, 1);
  mmio_wr(t, kDrvFeat, uint32_t(features >> 32));
  mmio_wr(t, kStatus, ACK | DRIVER | FEATURES_OK);
  return mmio_rd(t, kStatus);
}

// §4.2.3.2: selects queue `index`, reads QueueNumMax, then writes QueueNum = `size`, the three
// areas' addresses and QueueReady = 1, whatever QueueNumMax said (callers check it; the fuzz
// target wants the device to see the bad values). Returns QueueNumMax.
inline uint32_t mmio_setup_queue(devices::virtio::MmioTransport& t, uint32_t index, uint32_t size,
                                 uint64_t desc, uint64_t avail, uint64_t used) {
  using namespace reg;
  mmio_wr(t, kQSel, index);
  const uint32_t max = mmio_rd(t, kQNumMax);
  mmio_wr(t, kQNum, size);
  mmio_wr(t, kQDescLo, uint32_t(desc));
  mmio_wr(t, kQDescHi, uint32_t(desc >> 32));
  mmio_wr(t, kQDrvLo, uint32_t(avail));
  mmio_wr(t, kQDrvHi, uint32_t(avail >> 32));
  mmio_wr(t, kQDevLo, uint32_t(used));
  mmio_wr(t, kQDevHi, uint32_t(used >> 32));
  mmio_wr(t, kQReady, 1);
  return max;
}
inline uint32_t mmio_setup_queue(devices::virtio::MmioTransport& t, uint32_t index,
                                 const DriverQueue& q) {
  return mmio_setup_queue(t, index, q.size(), q.desc_addr(), q.avail_addr(), q.used_addr());
}

// §3.1.1 step 8: DRIVER_OK. Returns the status read back.
inline uint32_t mmio_driver_ok(devices::virtio::MmioTransport& t) {
  using namespace reg;
  mmio_wr(t, kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  return mmio_rd(t, kStatus);
}

}  // namespace xvm::test
