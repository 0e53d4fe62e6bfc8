"""Runs a Python Pulumi program under Pulumi's mocks and prints, as JSON, what each ipp-cluster
Cluster it declares is given: its name and its inputs as the generated SDK sends them to the engine.

Usage: python3 record_clusters.py PROGRAM.py PROJECT KEY=VALUE...   (config, without the project prefix)
"""

import json
import runpy
import sys

import pulumi

TOKEN = "ipp-cluster:index:Cluster"


class Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.clusters: list[dict] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ == TOKEN:
            self.clusters.append({"name": args.name, "inputs": args.inputs})
        return [f"{args.name}-id", args.inputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def main() -> None:
    program, project, *settings = sys.argv[1:]
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project=project, stack="dev", preview=False)
    pulumi.runtime.set_all_config({f"{project}:{k}": v for k, v in (s.split("=", 1) for s in settings)})

    @pulumi.runtime.test
    def run():
        runpy.run_path(program, run_name="__main__")

    run()
    print(json.dumps(recorder.clusters))


if __name__ == "__main__":
    main()
