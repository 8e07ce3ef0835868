"""Base configuration: GPU/TPU scale (DiT-B widths, batch 256, bf16).

    python -m dlt_jax.main --config=configs/base.py --workdir=/tmp/dlt_base

Override any value on the command line, e.g. `--config.data.path=/data/sections`.
"""

from ml_collections import ConfigDict, config_dict

from dlt_jax.data.transforms import DEFAULT_STRATEGY_PROBS
from dlt_jax.generation import sample_defaults


def data_config() -> ConfigDict:
    """The `data` section: where the examples come from and how batches are made."""
    return ConfigDict({
        # A built section_layouts folder, a build_dataset --out folder, a data set folder or a
        # .jsonl manifest; None: the embedded synthetic data set. A source is built once into
        # data_dir (None: $DLT_JAX_DATA_DIR or ~/.cache/dlt_jax/tfds).
        "path": config_dict.placeholder(str),
        "data_dir": config_dict.placeholder(str),
        "build_image_size": 512,      # long side of the stored letterbox canvas
        "image_format": "jpeg",       # stored screenshot encoding: jpeg or png
        # The screenshot as a Pix2Struct patch grid: scaled keeping its aspect so that the most
        # patch_size px patches fit in max_patches, padded to max_patches (DESIGN §3).
        "max_patches": 512,
        "patch_size": 16,
        # Each node's two S x S pixel views of its DOM box at the stored canvas resolution, the box
        # fitted and the box centre unscaled (data/crops.py), read by models/crops.py. 0: off.
        "node_crop": 0,
        # A .npz of per-example image features (key: example id; `rows cols F` or `T F`) made by an
        # external encoder, for vision.encoder='precomputed': batches carry image_features instead
        # of patches. None: patches.
        "image_features": config_dict.placeholder(str),
        "max_slots": 128,             # html nodes per example; longer ones are skipped and counted
        "slot_buckets": (32, 64, 128),  # a batch is padded to the smallest that holds it; last = max_slots
        # A second data set mixed into every training epoch, each of its `split` records `repeat`
        # times (oversampled real sections beside synthetic ones); None: nothing mixed in.
        "mix": {"path": config_dict.placeholder(str), "split": "train", "repeat": 1},
        "train_split": "train",
        "eval_split": "val",
        "batch_size": 256,            # global (all hosts); each host reads batch_size / host count rows
        "eval_batch_size": 256,       # global, as batch_size
        "shuffle": True,
        "num_epochs": config_dict.placeholder(int),  # None: repeat forever
        "num_workers": 4,             # grain worker processes (0: threads in this process)
        "read_threads": 2,            # threads per process reading and transforming records
        "prefetch_batches": 2,        # batches buffered per thread pool / worker
        "eval_strategy": "all",       # task masks at evaluation: generate everything
        "task_masks": {
            "probabilities": dict(DEFAULT_STRATEGY_PROBS),  # DLT's mixture (DESIGN §5)
            "min_ratio": 0.5,         # partial strategies pick U(min_ratio, 1) of the slots
        },
        "tokenizer": {
            "tag_vocab_size": 64,     # most frequent training tags get their own id
            "tag_min_count": 1,
            "tag_hash_buckets": 16,   # other tags share hashed ids
            "max_classes": 8,         # classes per node kept
            "class_hash_buckets": 4096,
            "css_property_buckets": 64,
            "css_value_buckets": 256,
            "max_depth": 31,
            "max_position": 63,       # clip for sibling index, child and sibling count
            "whole_classes": True,    # class_ids: each whole class name hashed
            "class_parts": True,      # class_part_ids: classes split into parts (col-md-4: col, md, 4)
            "max_class_parts": 16,    # parts per node kept
            "class_part_buckets": 2048,
            "geometry": True,         # DOM-box geometry (relative to parent and section, alignment)
            "align_tolerance": 0.005,  # same edge as a sibling: within this share of the section width
            "rule_prior": False,      # rule_action: each node's rule-baseline action as an input feature
        },
        # Class-name augmentation in training (DESIGN §10), on the tokenized class features.
        "augment": {
            "class_drop": 0.15,       # per example: no class at all
            "class_rename": 0.15,     # per example: every distinct class / part renamed consistently
            "class_part_drop": 0.1,   # per class part
        },
    })


def model_config() -> ConfigDict:
    """The `model` section (DESIGN §3): DiT-B-like widths, the encoders in front of it."""
    return ConfigDict({
        "d_model": 768,
        "num_heads": 12,
        "mlp_ratio": 4.0,
        "vit_layers": 6,              # screenshot encoder blocks over the patch tokens
        "html_layers": 4,             # html node encoder blocks (tree-biased self-attention)
        "fusion_layers": 2,           # html tokens cross-attend to the patches
        "dit_layers": 12,             # denoiser blocks (adaLN-Zero per slot)
        "dit_cross_attn": True,       # denoiser blocks also attend to the patches
        "box_patch_bias": True,       # ... with a learned bias towards the patches inside each slot's box
        "box_pixels": 8,              # each slot also reads the screenshot under its box: k x k cells (0: off)
        "roi_pool": 2,                # each node's html token + the patch tokens pooled in its DOM box, k x k (0: off)
        "presence_head": True,        # element-type presence, a training-only auxiliary loss (loss.presence_weight)
        "dtype": "bfloat16",          # compute dtype; parameters stay float32
        "attention": "",              # jax.nn.dot_product_attention implementation: "" (JAX picks), xla, cudnn
        "vision": {
            "encoder": "vit",             # vit, or precomputed (features from data.image_features)
            # ViT for small data sets (Lee et al. 2021), off until measured on real sections:
            "shifted_patches": False,     # each patch token also sees its four half-patch diagonal shifts
            "locality_attention": False,  # learned temperature per head, no attention of a patch to itself
        },
    })


def diffusion_config() -> ConfigDict:
    """The `diffusion` section (DESIGN §4)."""
    return ConfigDict({
        "steps": 100,                 # T: discrete time steps shared by boxes and actions
        "box_process": "ddpm",        # ddpm (cosine schedule, x0 prediction) or flow (rectified flow)
        "flow_logit_mean": 0.0,       # flow: logit-normal time sampling
        "flow_logit_std": 1.0,
        "condition_dropout": {"image": 0.1, "html": 0.1, "both": 0.1},  # classifier-free guidance
    })


def loss_config() -> ConfigDict:
    return ConfigDict({
        "box_weight": 5.0,
        "presence_weight": 0.3,
        "label_smoothing": 0.0,
        # html-pixel alignment: InfoNCE between each node's html token and the patches pooled in its DOM
        # box, against the other nodes of its section (needs model.roi_pool > 0; else not computed)
        "contrastive_weight": 0.1,
        "contrastive_temperature": 0.1,
    })


def train_config() -> ConfigDict:
    """The `train` section (DESIGN §6): AdamW, warmup + cosine, clipping, EMA, checkpoints, logging."""
    return ConfigDict({
        "steps": 200_000,
        "learning_rate": 3e-4,
        "b1": 0.9,
        "b2": 0.95,
        "weight_decay": 0.03,
        "warmup_steps": 5_000,
        "final_lr_fraction": 0.01,    # the cosine ends at this share of the peak rate
        "clip_norm": 1.0,
        "grad_accum_steps": 1,        # > 1: optax.MultiSteps accumulates this many batches per update
        "ema_decay": 0.9999,
        "save_every": 5_000,          # checkpoint every this many steps (and at the end)
        "keep": 3,                    # checkpoints kept
        "log_every": 100,             # train metrics to metrics.jsonl / TensorBoard
        "eval_every": 5_000,          # validation loss, accuracies and an overlay picture
        "eval_batches": 0,            # validation batches per evaluation (0: the whole split)
        "overlay_examples": 8,        # validation examples drawn per evaluation
        "distributed": False,         # multi-host: call jax.distributed.initialize() first
        # A fresh run starts from these EMA params (a weights folder, or a workdir's best checkpoint)
        # instead of its initialisation, with a fresh optimizer: fine-tuning. "" starts from scratch.
        "init_from": "",
        # Model selection: the EMA weights are scored on a selection split every `every` steps (and at
        # the end); the best so far is kept in checkpoints/best/ (and best.json) for
        # --mode=eval/sample --checkpoint=best. The split may be another data set's (a real dev set
        # beside synthetic training data), read with the training tokenizer.
        "select": {
            "path": config_dict.placeholder(str),   # a data set like data.path; None: the training one
            "split": config_dict.placeholder(str),  # None: data.eval_split; e.g. "dev" with a path
            "metric": "boxes_given_accuracy",       # a key of the validation metrics (train.evaluate)
            "mode": "max",                          # max or min
            "every": config_dict.placeholder(int),  # None: train.eval_every; 0: no selection
            "patience": 0,                          # > 0: stop after this many selections without a new best
            "batches": config_dict.placeholder(int),  # batches per selection; None: train.eval_batches (0: all)
        },
    })


def sample_config() -> ConfigDict:
    """The `sample` section (DESIGN §4, §7): the jitted sampler behind predict, complete and sample. Its
    defaults live with the code (`dlt_jax.generation.sample_defaults`, documented on `SamplerConfig`):
    steps (<= diffusion.steps), box_method (ddim or ddpm for ddpm, flow for flow; None: the default),
    temperature (0: the most likely action), top_k, choice_temperature, cfg_scale (1: off),
    aesthetic_weight / aesthetic_from / aesthetic_steps (LACE-style alignment + overlap guidance of the
    x0 boxes on the steps with time fraction <= aesthetic_from; weight 0: off), root_types, batch_size
    (sections per compiled call)."""
    defaults = sample_defaults()
    if defaults["box_method"] is not None:
        return ConfigDict(defaults)
    return ConfigDict(dict(defaults, box_method=config_dict.placeholder(str)))  # None, overridable by a name


def get_config() -> ConfigDict:
    config = ConfigDict()
    config.seed = 0
    config.data = data_config()
    config.model = model_config()
    config.diffusion = diffusion_config()
    config.loss = loss_config()
    config.train = train_config()
    config.sample = sample_config()
    return config
