"""`sweeper submit`: run a study past one machine on the clusters people already have.

Each node of a cluster runs the same line (`worker.worker_line`): one `sweeper worker STUDY`
whose executors come from the GPUs the cluster gave it and whose storage URL comes from the
environment, never from a command line or a file. `slurm` renders a job array and hands it
to sbatch; `k8s` renders manifests for `kubectl apply`. Neither imports Optuna or torch.
"""
