# The layers of boxinit, and the one rule between them: a folder's code
# includes headers from its own folder and from the folders listed for it,
# nothing else. init/ (the PID-1 core) may use every folder; no folder uses
# init/. The Makefile gives each folder exactly these include paths, so a
# forbidden include does not compile; `make layers` (scripts/check-layers.sh,
# part of `make check`) names each one, and also refuses a log.h in
# spawn/child/: code that runs in a container's child reports back to
# PID 1 through its error pipe and never logs itself.
#
#   base          loop, log, err, util            used by everything, uses nothing
#   config        the config language and its keys
#   host          API mounts, kernel modules
#   cgroup        cgroup v1 / v2, device policy
#   net           netlink (mnl), links, nftables, the network topology
#   spawn/child   what runs in the child before exec: exec, reaper, namespaces, mounts, caps, seccomp
#   spawn         the parent side of starting a process or container
#   supervise     the services: registry, state machine, output, reload
#   control       the control socket, status, boxctl
LAYERS := base config host cgroup net spawn/child spawn supervise control

LAYER_base        :=
LAYER_config      := base
LAYER_host        := base config
LAYER_cgroup      := base config host
LAYER_net         := base config
LAYER_spawn/child := base config net
LAYER_spawn       := base config spawn/child
LAYER_supervise   := base config cgroup net spawn
LAYER_control     := base config host cgroup net supervise
