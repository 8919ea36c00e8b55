# Cross-compiling AArch64 guest test programs (tests/guest) with Debian's gcc-aarch64-linux-gnu.
find_program(XVM_AARCH64_CC aarch64-linux-gnu-gcc)
find_program(XVM_QEMU_AARCH64 qemu-aarch64)
