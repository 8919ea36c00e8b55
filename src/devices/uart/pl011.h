// Arm PrimeCell UART (PL011), revision r1p5: the console UART of the arm64 virt board.
// Register behaviour follows the PL011 Technical Reference Manual (Arm DDI 0183G, "TRM" below).
//
// The transmitter is instantaneous: every byte written to UARTDR goes to the output sink at once,
// so the TX FIFO is always empty (UARTFR.TXFE = 1, TXFF = BUSY = 0). The receiver is fed by the
// console backend through push_input(), from any thread.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>

#include "devices/bus_device.h"

namespace xvm::devices {

class Pl011 final : public BusDevice {
 public:
  // Receives each transmitted byte. Called on the writing vCPU's thread with the UART's lock
  // held: it must not call back into this Pl011.
  using OutputSink = std::function<void(uint8_t)>;

  // `irq` is UARTINTR (the OR of the masked interrupts, TRM §3.4.19); it must outlive the UART
  // and is driven with the UART's lock held (so it must not call back either).
  Pl011(OutputSink sink, IrqLine& irq);

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, unsigned size, uint64_t value) override;
  const char* name() const override { return "pl011"; }

  // Bytes from the console. Returns how many were taken: none while the receiver is disabled
  // (UARTCR.UARTEN or RXE clear: a real UART receives nothing then); otherwise all of them, and
  // those that found the FIFO full are lost with an overrun error (UARTRSR.OE, OEINTR), as on
  // the line. A backend that must not lose input pushes at most rx_room() bytes and waits for
  // the space callback.
  size_t push_input(std::span<const uint8_t> bytes);
  // Free receive slots now (0 while the receiver is disabled).
  size_t rx_room() const;
  // Called (outside the lock, on the guest's thread) after the guest read a byte from UARTDR,
  // i.e. when room appeared: the backend's cue to push more.
  void set_rx_space_callback(std::function<void()> cb);

  static constexpr unsigned kFifoDepth = 32;  // r1p5 FIFOs are 32 deep (TRM §1.1, §2.4.2)

 private:
  uint32_t read_locked(uint64_t reg, bool* popped);
  void write_locked(uint64_t reg, uint32_t value);
  void receive_locked(uint8_t byte);
  unsigned rx_capacity_locked() const;
  unsigned trigger_level_locked(unsigned field) const;
  void update_rx_interrupts_locked();
  void update_irq_locked();

  OutputSink sink_;
  IrqLine& irq_;
  mutable std::mutex mu_;
  std::function<void()> rx_space_cb_;

  std::deque<uint16_t> rx_;  // each entry: data [7:0] and its error flags [11:8] (as in UARTDR)
  uint32_t rsr_ = 0;         // UARTRSR error bits (FE, PE, BE, OE)
  uint32_t ilpr_ = 0, ibrd_ = 0, fbrd_ = 0, lcr_h_ = 0;
  uint32_t cr_ = 0x0300;     // reset: TXE | RXE, UART disabled (TRM §3.3.8)
  uint32_t ifls_ = 0x12;     // reset: both trigger levels at 1/2 (TRM §3.3.9)
  uint32_t imsc_ = 0, ris_ = 0, dmacr_ = 0;
  bool irq_level_ = false;
};

}  // namespace xvm::devices
