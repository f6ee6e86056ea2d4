# Enabled now so it starts at boot; it restarts in a loop until kubeadm writes its configuration. On a node kubeadm has
# already set up (its kubelet config is there), the kubelet is started too: a re-run after this step's undo (`pulumi up
# --replace`) must not leave a joined node without its kubelet until the next boot.
systemctl daemon-reload
systemctl enable kubelet
if [ -f /var/lib/kubelet/config.yaml ]; then
  systemctl start kubelet
  echo "kubelet enabled and running (kubeadm has configured it)"
else
  echo "kubelet enabled"
fi
