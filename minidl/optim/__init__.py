"""Optimizers: GD, SGD, Momentum, Adam, RMSprop, exactly as the documents state them.

opt = optim.Adam(model.parameters(), lr=1e-3)
for x, y in loader:
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()

gd.py        GD, SGD   w ← w − α·g                      (FORMULAS O1, O2)
momentum.py  Momentum  v ← γv + α·g ; w ← w − v        (O3, erratum E1)
adam.py      Adam      bias-corrected moment estimates  (O4)
rmsprop.py   RMSprop   steps over a moving RMS of g     (T1)

Every optimizer takes weight_decay=λ: L2 regularization, g ← g + λ·w (T2).
lr_scheduler.py  StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup (T3)
"""

from minidl.optim import lr_scheduler
from minidl.optim.adam import Adam
from minidl.optim.gd import GD, SGD
from minidl.optim.momentum import Momentum
from minidl.optim.optimizer import Optimizer
from minidl.optim.rmsprop import RMSprop

__all__ = ["GD", "SGD", "Adam", "Momentum", "Optimizer", "RMSprop", "lr_scheduler"]
