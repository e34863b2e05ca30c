from .amm import AMM, BatchStatNorm2d, amm_group_size, gaussian_gate

__all__ = ['AMM', 'BatchStatNorm2d', 'amm_group_size', 'gaussian_gate']
