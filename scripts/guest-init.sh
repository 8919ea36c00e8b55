#!/bin/sh
# /init of xvm's test guest, run by busybox sh as PID 1 (scripts/guest-image.sh puts it in the
# initramfs; protocol in docs/guest-images.md). PID 1 must never exit (the kernel would panic),
# so every path ends in `poweroff -f`.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# Debian's kernel has CONFIG_DEVTMPFS_MOUNT off: without this there is no /dev/vda or /dev/hvc0.
mount -t devtmpfs devtmpfs /dev
# Links for every applet, for the command and the shell (the archive links only ours).
/bin/busybox --install -s
# The virtio drivers are modules and there is no modules.dep: load them in the order
# mkinitramfs.py derived from their depends= fields. A driver whose device is absent loads
# and stays idle, so only a real failure (bad module, missing symbol) is reported.
for m in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$m" || echo "xvm-init: insmod $m failed"
done
echo "XVM-GUEST-READY cpus=$(nproc)"
# xvm.cmd: the kernel gives parameters with a dot in their name neither to init's argv nor
# to its environment, so read /proc/cmdline. Forms: xvm.cmd="a command with spaces" (no "
# inside) or xvm.cmd=word.
cmdline=" $(cat /proc/cmdline) "
case "$cmdline" in
  *' xvm.cmd="'*) cmd=${cmdline#* xvm.cmd=\"}; cmd=${cmd%%\"*} ;;
  *' xvm.cmd='*) cmd=${cmdline#* xvm.cmd=}; cmd=${cmd%% *} ;;
  *) cmd= ;;
esac
if [ -n "$cmd" ]; then
  sh -c "$cmd"
  echo "XVM-GUEST-EXIT status=$?"
elif [ "${cmdline#* xvm.shell=1 }" != "$cmdline" ]; then
  # A session with the console as controlling terminal, so ^C and job control work.
  setsid cttyhack sh
fi
# poweroff -f does not sync; the disk should hold what the command wrote.
sync
poweroff -f
