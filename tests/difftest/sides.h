// The two implementations under comparison: xvm's interpreter and Unicorn (QEMU's TCG core).
// Each runs exactly one instruction from a State and reports the Result.
#pragma once
#include <memory>
#include <string>

#include "state.h"

struct uc_struct;
struct uc_context;

namespace xvm::difftest {

class XvmSide {
 public:
  XvmSide();
  ~XvmSide();
  Result run(const State& in);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Unicorn CPU models (uc_cpu_arm64): A57 is ARMv8.0 with AES/PMULL/SHA1/SHA256/CRC32; "max"
// adds the ARMv8.1+ features (LSE atomics, FP16, ...) but also PAuth/BTI in the hint space.
enum class UcModel { A57, Max };

class UnicornSide {
 public:
  explicit UnicornSide(UcModel model);
  ~UnicornSide();
  Result run(const State& in);

 private:
  static constexpr uint64_t kRunsPerInstance = 20000;  // see run()
  void open();
  void close();

  UcModel model_;
  uint64_t runs_ = 0;
  uc_struct* uc_ = nullptr;
  uc_context* ctx_ = nullptr;  // the state after reset, restored before every run
  uint32_t intno_ = 0;
  bool interrupted_ = false;
  void enter_el0();
  static void on_interrupt(uc_struct* uc, uint32_t intno, void* self);
};

}  // namespace xvm::difftest
