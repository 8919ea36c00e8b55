// PL011 register model (Arm DDI 0183G, "TRM"). Section numbers are the TRM's.
#include "devices/uart/pl011.h"

namespace xvm::devices {
namespace {

// Register offsets (TRM §3.2, Table 3-1).
enum : uint64_t {
  kDR = 0x000, kRSR_ECR = 0x004, kFR = 0x018, kILPR = 0x020, kIBRD = 0x024, kFBRD = 0x028,
  kLCR_H = 0x02C, kCR = 0x030, kIFLS = 0x034, kIMSC = 0x038, kRIS = 0x03C, kMIS = 0x040,
  kICR = 0x044, kDMACR = 0x048, kPeriphID0 = 0xFE0, kCellID3 = 0xFFC,
};

// UARTFR bits (§3.3.3).
constexpr uint32_t kFrBusy = 1u << 3, kFrRxfe = 1u << 4, kFrTxff = 1u << 5, kFrRxff = 1u << 6,
                   kFrTxfe = 1u << 7;
constexpr uint32_t kLcrFen = 1u << 4;  // UARTLCR_H.FEN (§3.3.7)
// UARTCR bits (§3.3.8); bits 3-6 are reserved.
constexpr uint32_t kCrUarten = 1u << 0, kCrLbe = 1u << 7, kCrRxe = 1u << 9;
constexpr uint32_t kCrMask = 0xFF87;
// Interrupt bits, shared by IMSC, RIS, MIS and ICR (§3.3.10-3.3.13).
constexpr uint32_t kIntRx = 1u << 4, kIntTx = 1u << 5, kIntRt = 1u << 6, kIntOe = 1u << 10;
constexpr uint32_t kIntMask = 0x7FF;
// Error flags in a received entry, as UARTDR bits [11:8] (§3.3.1): FE, PE, BE, OE. UARTRSR holds
// the same four in bits [3:0] (§3.3.2).
constexpr uint16_t kDrOe = 1u << 11;
constexpr uint32_t kRsrOe = 1u << 3;

// Peripheral ID 0x00341011 (part 0x011, designer 0x41 "ARM", revision 3 = r1p5) and the
// PrimeCell ID 0xB105F00D, one byte per register (§3.3.14-3.3.15).
constexpr uint8_t kIds[8] = {0x11, 0x10, 0x34, 0x00, 0x0D, 0xF0, 0x05, 0xB1};

}  // namespace

Pl011::Pl011(OutputSink sink, IrqLine& irq) : sink_(std::move(sink)), irq_(irq) {}

unsigned Pl011::rx_capacity_locked() const {
  // With FEN clear the FIFOs become 1-byte holding registers (§2.4.2).
  return (lcr_h_ & kLcrFen) ? kFifoDepth : 1;
}

// UARTIFLS field (3 bits) to a FIFO level: 1/8, 1/4, 1/2, 3/4, 7/8 full (§3.3.9). The reserved
// encodings 0b101-0b111 are treated as the reset value, 1/2.
unsigned Pl011::trigger_level_locked(unsigned field) const {
  static constexpr unsigned kEighths[8] = {1, 2, 4, 6, 7, 4, 4, 4};
  return kFifoDepth * kEighths[field & 7] / 8;
}

void Pl011::update_irq_locked() {
  // UARTINTR is the OR of the individual masked interrupts (§3.4.19).
  const bool level = (ris_ & imsc_) != 0;
  if (level != irq_level_) {
    irq_level_ = level;
    irq_.set_level(level);
  }
}

void Pl011::receive_locked(uint8_t byte) {
  const size_t before = rx_.size();
  if (before >= rx_capacity_locked()) {
    // Overrun (§3.3.2 OE): the FIFO keeps its contents, the new byte is lost. The flag travels
    // with the newest entry, the character after which data went missing (Linux amba-pl011.c
    // inserts its TTY_OVERRUN marker after the character that carries OE).
    rsr_ |= kRsrOe;
    ris_ |= kIntOe;
    if (!rx_.empty()) rx_.back() |= kDrOe;
    return;
  }
  rx_.push_back(byte);
  // RXINTR (§2.9.1): FIFOs on, asserted when the FIFO reaches the trigger level (a transition,
  // Linux's pl011_enable_interrupts relies on that and drains the FIFO first); FIFOs off,
  // asserted when a byte arrives in the holding register.
  if (!(lcr_h_ & kLcrFen)) {
    ris_ |= kIntRx;
  } else {
    const unsigned trigger = trigger_level_locked(ifls_ >> 3);
    if (before < trigger && rx_.size() >= trigger) ris_ |= kIntRx;
  }
}

void Pl011::update_rx_interrupts_locked() {
  // After a read from UARTDR: RXINTR clears once the FIFO is below the trigger level (FIFOs off:
  // once the holding register was read); RTINTR clears once the FIFO is empty (§2.9.1).
  if (!(lcr_h_ & kLcrFen) || rx_.size() < trigger_level_locked(ifls_ >> 3)) ris_ &= ~kIntRx;
  if (rx_.empty()) ris_ &= ~kIntRt;
}

size_t Pl011::push_input(std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  if ((cr_ & (kCrUarten | kCrRxe)) != (kCrUarten | kCrRxe)) return 0;
  for (uint8_t b : bytes) receive_locked(b);
  // RTINTR means "data in the FIFO and the line idle for 32 bit periods" (§2.9.1). A push is a
  // whole burst from the backend, so the line is idle right after it.
  if (!rx_.empty()) ris_ |= kIntRt;
  update_irq_locked();
  return bytes.size();
}

size_t Pl011::rx_room() const {
  std::lock_guard lock(mu_);
  if ((cr_ & (kCrUarten | kCrRxe)) != (kCrUarten | kCrRxe)) return 0;
  const size_t cap = rx_capacity_locked();
  return rx_.size() >= cap ? 0 : cap - rx_.size();
}

void Pl011::set_rx_space_callback(std::function<void()> cb) {
  std::lock_guard lock(mu_);
  rx_space_cb_ = std::move(cb);
}

uint32_t Pl011::read_locked(uint64_t reg, bool* popped) {
  switch (reg) {
    case kDR: {
      // An empty FIFO reads 0 (the TRM leaves the value undefined).
      if (rx_.empty()) return 0;
      const uint16_t entry = rx_.front();
      rx_.pop_front();
      *popped = true;
      // UARTRSR takes the read character's error flags (§3.3.2: read UARTDR, then UARTRSR).
      rsr_ = (rsr_ & kRsrOe) | ((entry >> 8) & 0x7);
      if (entry & kDrOe) rsr_ |= kRsrOe;
      update_rx_interrupts_locked();
      update_irq_locked();
      return entry;
    }
    case kRSR_ECR: return rsr_ & 0xF;
    case kFR: {
      uint32_t fr = kFrTxfe;  // instant transmitter: TX FIFO always empty, never busy or full
      if (rx_.empty()) fr |= kFrRxfe;
      if (rx_.size() >= rx_capacity_locked()) fr |= kFrRxff;
      return fr & ~(kFrBusy | kFrTxff);
    }
    case kILPR: return ilpr_;
    case kIBRD: return ibrd_;
    case kFBRD: return fbrd_;
    case kLCR_H: return lcr_h_;
    case kCR: return cr_;
    case kIFLS: return ifls_;
    case kIMSC: return imsc_;
    case kRIS: return ris_;
    case kMIS: return ris_ & imsc_;
    case kDMACR: return dmacr_;
    default:
      if (reg >= kPeriphID0 && reg <= kCellID3) return kIds[(reg - kPeriphID0) / 4];
      return 0;  // ICR is write-only; reserved offsets read as zero
  }
}

void Pl011::write_locked(uint64_t reg, uint32_t value) {
  switch (reg) {
    case kDR: {
      const uint8_t byte = value & 0xFF;
      // Loopback (UARTCR.LBE, §3.3.8) feeds the transmit path into the receive path. Bytes are
      // sent whether or not UARTEN/TXE are set: Linux's earlycon writes before any driver has
      // enabled the UART, and losing boot messages helps nobody.
      if (cr_ & kCrLbe) {
        receive_locked(byte);
        ris_ |= kIntRt;
      } else if (sink_) {
        sink_(byte);
      }
      // TXINTR (§2.9.1) is asserted when the TX FIFO drops through its trigger level, and with
      // FIFOs off when the holding register empties; it is not asserted by enabling it on an
      // empty FIFO. An instant transmitter drains every byte at once, so each write asserts it.
      // Linux's pl011_int refills up to fifosize/2 bytes per TXIS without looking at TXFF and
      // relies on TXIS coming back while its buffer is non-empty; it masks TXIM when done.
      ris_ |= kIntTx;
      break;
    }
    case kRSR_ECR: rsr_ = 0; break;  // any write to UARTECR clears the errors (§3.3.2)
    case kILPR: ilpr_ = value & 0xFF; break;
    case kIBRD: ibrd_ = value & 0xFFFF; break;
    case kFBRD: fbrd_ = value & 0x3F; break;
    case kLCR_H: lcr_h_ = value & 0xFF; break;
    case kCR: cr_ = value & kCrMask; break;
    case kIFLS: ifls_ = value & 0x3F; break;
    case kIMSC: imsc_ = value & kIntMask; break;
    case kICR: ris_ &= ~(value & kIntMask); break;
    case kDMACR: dmacr_ = value & 0x7; break;  // stored; the board wires no DMA controller
    default: break;                            // FR, RIS, MIS, IDs are read-only
  }
  update_irq_locked();
}

uint64_t Pl011::read(uint64_t offset, unsigned size) {
  // PrimeCell registers are 32-bit words; narrower reads see the low bytes (earlycon's byte
  // accesses to UARTDR), accesses not at a word boundary read as zero.
  if (offset % 4 != 0) return 0;
  bool popped = false;
  uint32_t v;
  std::function<void()> cb;
  {
    std::lock_guard lock(mu_);
    v = read_locked(offset, &popped);
    if (popped) cb = rx_space_cb_;
  }
  if (cb) cb();
  return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void Pl011::write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset % 4 != 0) return;
  uint32_t v = static_cast<uint32_t>(value);
  if (size < 4) v &= (1u << (8 * size)) - 1;
  std::lock_guard lock(mu_);
  write_locked(offset, v);
}

}  // namespace xvm::devices
