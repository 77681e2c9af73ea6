"""The process layer: how lab starts the processes that hold torch, and how they end.

- `lab.proc.child`: the one page on "a child process of lab": its environment, dying with its
  parent, killing its process group, one thread at fork time, ending the orphans it leaves.
- `lab.proc.forkserver` (`python -m lab.proc.forkserver`): one process that imports what its
  children need once, then forks a child per request, in milliseconds.
- `lab.proc.forkclient`: the app's side of a fork server, and the forked process it hands out.

Training runs (`lab.engine.client`, `lab.runs.runners`) and exercise checks
(`lab.exercises.checker`) both get their processes here. No torch, no textual.
"""
