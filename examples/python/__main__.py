"""An IPython Parallel cluster of 2 workers on the current Kubernetes context, from Python.

The cluster is the ipp-cluster component: every setting of the ipp-cluster stack is an argument of
the same name in snake_case (workers, worker_groups, notebook, max_workers, ...), with the same
default, and every stack output is an output of the component.
"""

import pulumi
import pulumi_ipp_cluster as ipp

config = pulumi.Config()

cluster = ipp.Cluster(
    "science",
    registry=config.require("registry"),
    workers=2,
    worker_memory="2Gi",
)

# How to connect, as the ipp-cluster stack shows it (the client file and the notebook's URL are secret).
pulumi.export("engines", cluster.engines)
pulumi.export("namespace", cluster.namespace)
pulumi.export("client_port_forward", cluster.client_port_forward)
pulumi.export("laptop_client_file", cluster.laptop_client_file)
pulumi.export("laptop_pip_install", cluster.laptop_pip_install)
pulumi.export("notebook_port_forward", cluster.notebook_port_forward)
pulumi.export("notebook_url", cluster.notebook_url)
pulumi.export("seed_test", cluster.seed_test)
