# The kubelet refuses to run with swap on (kubeadm only warns, then init dies waiting for the kubelet),
# so swap goes off now and at boot. fstab lines are commented with a marker the undo script recognises.
swapoff -a
if [ -f /etc/fstab ]; then
  sed -i -E 's@^([^#][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]].*)$@#pulumi-kubeadm-swap# \1@' /etc/fstab
fi
echo "swap is off (now and at boot)"
