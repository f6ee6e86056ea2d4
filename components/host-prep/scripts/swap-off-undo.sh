if [ -f /etc/fstab ]; then
  sed -i -E 's@^#pulumi-kubeadm-swap# @@' /etc/fstab
fi
swapon -a || true
echo "swap restored as configured in /etc/fstab"
