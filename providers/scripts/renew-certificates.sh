#!/bin/sh
# pulumi-kubeadm: renew a control plane's certificates, then restart the components that read them.
#
# `kubeadm certs renew all` rewrites the certificates under /etc/kubernetes/pki and those embedded in the
# kubeconfig files, signed by the same CAs, but the running components keep the ones they read at start (kubeadm
# says so after renewing). Each component's container is stopped, one at a time, and the kubelet starts it again
# from its static Pod: kubeadm's documented alternative, moving each manifest away for a fileCheckFrequency and
# back, takes about 40 s per component. POSIX sh; passed to `sh -c`.
set -eu

kubeadm certs renew all
for component in etcd kube-apiserver kube-controller-manager kube-scheduler; do
  running() { crictl ps --name "^$component\$" --state running -q 2>/dev/null | head -n 1; }
  old=$(running)
  if [ -z "$old" ]; then
    echo "$component: no running container to restart (an external etcd, or the component is down)"
    continue
  fi
  crictl stop "$old" >/dev/null
  waited=0
  while :; do
    new=$(running)
    if [ -n "$new" ] && [ "$new" != "$old" ]; then break; fi
    if [ "$waited" -ge 180 ]; then
      echo "$component did not run again within 180 s of its restart: see 'crictl ps -a --name $component' and its logs" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "$component restarted with the renewed certificates"
done
