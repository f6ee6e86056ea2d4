if [ -f /etc/fstab ]; then
  sed -i -E 's@^#pulumi-kubeadm-swap# @@' /etc/fstab
fi
swapon -a || true
step_undone
echo "swap restored as configured in /etc/fstab"
