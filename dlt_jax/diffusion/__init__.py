"""The joint discrete/continuous diffusion (DESIGN.md §4): schedules, the gaussian, flow and
masked processes, losses and guidance, as pure jit-able functions of arrays."""

from dlt_jax.diffusion.flow import flow_euler_step, flow_interpolate, flow_velocity, logit_normal_time
from dlt_jax.diffusion.gaussian import ddim_step, ddpm_step, posterior, predicted_noise, q_sample
from dlt_jax.diffusion.guidance import condition_dropout, guided
from dlt_jax.diffusion.losses import (masked_accuracy, masked_cross_entropy, masked_mse, presence_loss,
                                      presence_targets)
from dlt_jax.diffusion.masking import mask_actions, unmask_count
from dlt_jax.diffusion.schedules import (BOX_PROCESSES, GaussianSchedule, cosine_betas, expand_like, make_gaussian_schedule,
                                         mask_ratio, time_fraction)
from dlt_jax.diffusion.sampler import (SampleResult, SamplerConfig, SamplerState, SampleTask, init_state,
                                       make_task, sample, sample_python_loop, sample_step, time_grid)

__all__ = [
    "BOX_PROCESSES", "GaussianSchedule", "condition_dropout", "cosine_betas", "ddim_step", "ddpm_step", "expand_like",
    "flow_euler_step", "flow_interpolate", "flow_velocity", "guided", "logit_normal_time",
    "make_gaussian_schedule", "mask_actions", "mask_ratio", "masked_accuracy", "masked_cross_entropy",
    "masked_mse", "posterior", "predicted_noise", "presence_loss", "presence_targets", "q_sample",
    "time_fraction", "unmask_count",
    "SampleResult", "SampleTask", "SamplerConfig", "SamplerState", "init_state", "make_task", "sample", "sample_python_loop", "sample_step", "time_grid",
]
