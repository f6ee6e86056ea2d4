# Control-plane images from the configured repository, before kubeadm init needs them (the seed re-tagged
# them by hand from a mirror). Env: KUBERNETES_VERSION IMAGE_REPOSITORY
kubeadm config images pull --kubernetes-version "$KUBERNETES_VERSION" --image-repository "$IMAGE_REPOSITORY" \
  --cri-socket unix:///var/run/containerd/containerd.sock
