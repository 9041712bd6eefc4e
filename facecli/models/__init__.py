"""One torch model per file: cap (issue #7); dgpa, sgcn, musica, capsnet to come (issues #5-#10).

Importing this package imports torch.
"""

from facecli.models.cap import CAPConfig, CAPNet, CAPOutput, CascadedAtrousPyramid, angular_loss

__all__ = ["CAPConfig", "CAPNet", "CAPOutput", "CascadedAtrousPyramid", "angular_loss"]
