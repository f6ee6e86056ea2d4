"use strict";
/*
 * The lab's etcd: one cluster's API objects (nodes, secrets, configmaps) and its etcd member list, shared by
 * every control-plane host of that cluster, in $LAB_ROOT/clusters/<cluster id>/state.json (/lab is the same
 * directory on every host of a lab, and in the tests' temp lab). A real cluster replicates etcd over the
 * network; the lab shares one file instead, so what one control plane's API daemon writes, every other one
 * serves at once. The cluster id is derived from the cluster CA (one CA, one cluster). Writes take a lock in
 * the cluster's own directory, since several hosts' processes write.
 *
 * Each control-plane host also keeps its own $LAB_STATE/cluster.json: where its API daemon listens, its pki
 * files, and which cluster it serves ({ apiserver: {...}, cluster: "<id>" }).
 *
 * Members: { id (16 hex digits, as etcdctl prints), name, peerURLs, clientURLs, isLearner, apiServer } where
 * apiServer is "<address>:<port>" of the host's API daemon: the lab counts a member as alive while that
 * daemon accepts connections (a stopped or switched-off host's member is dead, as its etcd would be).
 */
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const lab = require("../double.js");
const pki = require("./pki.js");

const HOST_CONFIG = () => lab.statePath("cluster.json");

function clusterId(caPem) {
  return pki.caCertHash(caPem).slice("sha256:".length, "sha256:".length + 16);
}

function clusterDir(id) {
  return lab.labPath("clusters", id);
}

function stateFile(id) {
  return path.join(clusterDir(id), "state.json");
}

function withClusterLock(id, fn) {
  return lab.withLockIn(path.join(clusterDir(id), "locks"), "state", fn);
}

function read(id) {
  return lab.readJson(stateFile(id), null);
}

/** Replaces the cluster's state (kubeadm init: a new etcd). */
function create(id, state) {
  lab.mkdirp(clusterDir(id));
  withClusterLock(id, () => lab.writeJson(stateFile(id), state));
}

/** Locked read-modify-write; fn mutates the state or returns a new one. Returns the state written. */
function update(id, fn) {
  return withClusterLock(id, () => {
    const current = read(id);
    if (!current) throw new Error(`the lab cluster ${id} has no state (was its last control plane reset?)`);
    const next = fn(current);
    const value = next === undefined ? current : next;
    lab.writeJson(stateFile(id), value);
    return value;
  });
}

/** Writes the state; the caller holds withClusterLock (the API daemon, which reads and writes under one lock). */
function writeLocked(id, state) {
  lab.writeJson(stateFile(id), state);
}

function remove(id) {
  fs.rmSync(clusterDir(id), { recursive: true, force: true });
}

function hostConfig() {
  return lab.readJson(HOST_CONFIG(), null);
}

function writeHostConfig(config) {
  lab.writeJson(HOST_CONFIG(), config);
}

function removeHostConfig() {
  fs.rmSync(HOST_CONFIG(), { force: true });
}

function members(state) {
  return ((state && state.etcd && state.etcd.members) || []).slice();
}

function votingMembers(state) {
  return members(state).filter((m) => !m.isLearner);
}

function newMemberId() {
  return crypto.randomBytes(8).toString("hex");
}

function hostPort(address, port) {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A member record for a control-plane host advertising `address` with its API daemon on `port`. */
function memberFor(name, address, port, isLearner) {
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    id: newMemberId(),
    name,
    peerURLs: [`https://${host}:2380`],
    clientURLs: [`https://${host}:2379`],
    isLearner: !!isLearner,
    apiServer: hostPort(address, port),
  };
}

module.exports = {
  clusterId,
  clusterDir,
  stateFile,
  read,
  create,
  update,
  writeLocked,
  withClusterLock,
  remove,
  hostConfig,
  writeHostConfig,
  removeHostConfig,
  members,
  votingMembers,
  memberFor,
  hostPort,
};
