# Enabled now so it starts at boot; it restarts in a loop until kubeadm writes its configuration.
systemctl daemon-reload
systemctl enable kubelet
echo "kubelet enabled"
