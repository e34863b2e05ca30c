from .amm import AMM, BatchStatNorm2d, gaussian_gate

__all__ = ['AMM', 'BatchStatNorm2d', 'gaussian_gate']
