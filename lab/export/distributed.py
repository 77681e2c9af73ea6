"""Provides the torchrun scripts: any declarative experiment, and ddp-digits, with DDP.

The script is the single-process one with four changes: a process group from torchrun's
environment, a DistributedSampler (with set_epoch) instead of one shuffled order, the model
wrapped in DistributedDataParallel, and rank 0 alone printing. ddp-digits's script replays the
lab's ranks (lab/engine/scripted/ddp_rank.py) step for step: same data, same start, same order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.catalog.schema import DatasetSpec, ModelSpec, OptimizerSpec, ScriptedSpec, TrainSpec
from lab.export import pieces
from lab.export.pieces import Imports

if TYPE_CHECKING:
    from lab.catalog.runspec import RunSpec

SCRIPTED = {"ddp-digits"}


def scripted_script(run: RunSpec, scripted: ScriptedSpec, filename: str) -> str:
    """ddp-digits (`scripted`: the run's spec) as a declarative digits run, trained the way its
    ranks train (lab/engine/scripted/ddp_rank.py: the digits MLP, plain SGD, the 70/15/15
    split)."""
    args = scripted.resolved_args()
    spec = TrainSpec(
        dataset=DatasetSpec(name="digits"),
        model=ModelSpec(builder="mlp", args={"hidden": [64]}),
        loss="cross_entropy",
        optimizer=OptimizerSpec(name="sgd", lr=float(args["lr"])),
        epochs=int(args["epochs"]),
        batch_size=int(args["batch_size"]),
        seed=int(args["seed"]),
    )
    run = run.model_copy(update={"kind": "train", "spec": spec})
    return train_script(run, spec, filename, drop_last=True)


def train_script(run: RunSpec, spec: TrainSpec, filename: str, drop_last: bool = False) -> str:
    """The torchrun script for `run`, whose spec is `spec`, to be saved as `filename`."""
    imports = Imports()
    for module in ("gc", "json", "os", "math", "torch"):
        imports.add(module)
    imports.add("torch.distributed as dist")
    imports.add("torch.nn.parallel", "DistributedDataParallel")
    imports.add("torch.utils.data", "DataLoader")
    imports.add("torch.utils.data", "DistributedSampler")
    imports.add("torch.utils.data", "TensorDataset")
    head = pieces.header(
        run,
        f"Run it on this machine with 2 processes: `torchrun --nproc_per_node=2 {filename}`.\n"
        "On several machines, run on each: `torchrun --nnodes=2 --nproc_per_node=2\n"
        f"--rdzv_backend=c10d --rdzv_endpoint=HOST:29500 --rdzv_id=1 {filename}`,\n"
        "HOST being one machine every other machine can reach.",
        "a PyTorch script for torchrun",
    )
    data = pieces.data_code(run, spec, imports)
    model = pieces.model_code(spec, imports)
    loop = _loop(spec, imports)  # before the imports are written: it may add one
    settings = pieces.settings_code(spec).replace(
        "batch_size = ",
        "# per process: one step averages batch_size x world_size samples\nbatch_size = ",
    )
    group = (
        "# --- the process group ---\n"
        "# torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT in every\n"
        "# process; init_process_group reads them and waits until every process has joined.\n"
        "# nccl when each process on this machine can have a GPU of its own, else gloo\n"
        'local_processes = int(os.environ["LOCAL_WORLD_SIZE"])\n'
        'backend = "nccl" if torch.cuda.device_count() >= local_processes else "gloo"\n'
        "dist.init_process_group(backend)\n"
        "rank, world_size = dist.get_rank(), dist.get_world_size()\n"
        'local_rank = int(os.environ["LOCAL_RANK"])\n'
        'if backend == "nccl":  # one GPU per process, chosen by its rank on this machine\n'
        '    device = torch.device("cuda", local_rank)\n'
        "    torch.cuda.set_device(device)\n"
        "else:\n"
        '    device = torch.device("cpu")'
    )
    parts = [
        head,
        imports.text(),
        settings,
        group,
        "# --- data: every process loads all of it; the sampler gives each its share ---\n" + data,
        "# --- model, loss, optimizer ---\n" + model,
        "model.to(device)\n"
        "# DDP copies rank 0's weights to every process now, and in every backward() it\n"
        "# all-reduces the gradients so that each process holds their mean.\n"
        "ddp_model = DistributedDataParallel(\n"
        '    model, device_ids=[local_rank] if backend == "nccl" else None\n'
        ")\n" + pieces.loss_code(spec),
        pieces.optimizer_code(spec).replace("model.parameters()", "ddp_model.parameters()"),
        pieces.schedule_code(spec),
        _loader(spec, drop_last),
        "eval_splits = {name: (X.to(device), y.to(device)) for name, (X, y) in splits.items()}",
        pieces.evaluate_code(),
        loop,
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _loader(spec: TrainSpec, drop_last: bool) -> str:
    shuffle = spec.shuffle
    why = "every step averages the same number of samples" if drop_last else ""
    return (
        "# All processes shuffle with the same seed (plus the epoch), then process r takes\n"
        "# the samples at positions r, r + world_size, r + 2 * world_size, ...\n"
        'train_set = TensorDataset(*splits["train"])\n'
        f"sampler = DistributedSampler(train_set, shuffle={shuffle}, seed=seed)\n"
        + (f"# drop_last: {why}\n" if drop_last else "")
        + "loader = DataLoader(train_set, batch_size=batch_size, sampler=sampler, "
        f"drop_last={drop_last})"
    )


def _loop(spec: TrainSpec, imports: Imports) -> str:
    splits = pieces.splits_of(spec)
    classify = spec.classification
    stopping = spec.early_stopping
    watched = "val_loss" if "val" in splits else "train_loss"
    val = ""
    if "val" in splits:
        # every process evaluates: the weights are identical, so are the numbers (and the
        # early-stopping decision, which all processes must take together)
        target = (
            'metrics["val_loss"], metrics["val_accuracy"]' if classify else 'metrics["val_loss"], _'
        )
        val = "    # every process evaluates: identical weights give identical numbers\n"
        val += pieces.evaluate_line(target, '*eval_splits["val"]', 4)
    stop = ""
    if stopping:
        imports.add("copy")
        stop = (
            f'    if metrics["{watched}"] < best_loss - min_delta:\n'
            f'        best_loss, best_epoch = metrics["{watched}"], epoch\n'
            "        best_state = copy.deepcopy(model.state_dict())\n"
            "    elif epoch - best_epoch >= patience:\n"
            "        if rank == 0:\n"
            '            print(f"early stopping at epoch {epoch}: '
            'no better than epoch {best_epoch}")\n'
            "        break\n"
        )
    final_target = (
        'final[f"{name}_loss"], final[f"{name}_accuracy"]'
        if classify
        else 'final[f"{name}_loss"], _'
    )
    return (
        "def show(metrics):\n"
        '    """Metrics as `lab run` prints them: accuracies in %, the rest to 4 digits."""\n'
        '    return "  ".join(\n'
        '        f"{k} {v:.1%}" if "accuracy" in k else f"{k} {v:.4g}"\n'
        "        for k, v in metrics.items()\n"
        "    )\n\n\n"
        "def record(line):\n"
        '    """One JSON line in the file LAB_METRICS_FILE names, when it names one (the\n'
        '    .sbatch file `lab export --slurm` writes sets it; `lab jobs follow` reads it)."""\n'
        '    path = os.environ.get("LAB_METRICS_FILE")\n'
        "    if path:\n"
        '        with open(path, "a", encoding="utf-8") as f:\n'
        '            f.write(json.dumps(line) + "\\n")\n\n\n'
        "# --- training ---\n"
        "torch.manual_seed(seed)  # draws while training (dropout) start from the seed too\n"
        + ("best_loss, best_epoch, best_state = math.inf, 0, None\n" if stopping else "")
        + "for epoch in range(1, num_epochs + 1):\n"
        "    sampler.set_epoch(epoch)  # a new order each epoch, the same in every process\n"
        "    ddp_model.train()\n"
        "    epoch_loss, epoch_samples = 0.0, 0\n"
        "    for X, y in loader:\n"
        "        X, y = X.to(device), y.to(device)  # this process's part of the batch\n"
        "        # forward\n"
        "        y_hat = ddp_model(X)\n"
        "        # loss\n"
        "        loss = loss_fn(y_hat, y)\n"
        "        # backward: DDP all-reduces the gradients here\n"
        "        optimizer.zero_grad(set_to_none=True)\n"
        "        loss.backward()\n"
        "        # update: the same gradients, the same step, in every process\n"
        "        optimizer.step()\n"
        "        # report\n"
        "        if not math.isfinite(loss.item()):\n"
        '            raise SystemExit(f"rank {rank}: the loss blew up to {loss.item()}")\n'
        "        epoch_loss += loss.item() * len(X)  # a short batch weighs what it holds\n"
        "        epoch_samples += len(X)\n"
        "    # the mean loss over every process's samples of the epoch, measured while the\n"
        "    # weights changed, in train mode (for the printout only)\n"
        "    sums = torch.tensor([epoch_loss, epoch_samples], dtype=torch.float64, device=device)\n"
        "    dist.all_reduce(sums)\n"
        '    metrics = {"train_loss": (sums[0] / sums[1]).item()}\n'
        f"{val}"
        "    if rank == 0:\n"
        '        print(f"epoch {epoch}/{num_epochs}  {show(metrics)}")\n'
        '        record({"epoch": epoch, "epochs": num_epochs, "metrics": metrics})\n'
        + ("    schedule.step()\n" if spec.schedule else "")
        + stop
        + "\n"
        + pieces.restore_code(spec, distributed=True)
        + "# --- the trained model on every split, reported by rank 0 ---\n"
        "if rank == 0:\n"
        "    final = {}\n"
        "    for name, (X, y) in eval_splits.items():\n"
        + pieces.evaluate_line(final_target, "X, y", 8)
        + "    print(f\"completed: trained {epoch} epoch{'s' if epoch != 1 else ''}\")\n"
        '    print("  ".join(f"{name} {value:.6f}" for name, value in final.items()))\n'
        '    record({"final": final, "epochs": epoch})\n'
        "# every process waits here for rank 0's report, lets go of what holds the group (the\n"
        "# DDP wrapper and the last step's graph), then all leave it together: a group still\n"
        "# held when Python exits can abort the process\n"
        "dist.barrier()\n"
        "del ddp_model, optimizer, loss, y_hat\n"
        "gc.collect()\n"
        "dist.destroy_process_group()"
    )
