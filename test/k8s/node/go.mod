// The two static programs the real test node needs as images (see ../../../scripts/infra/node.sh).
module kli8nt.invalid/k8s-node

go 1.26.0
