"""``facecli evaluate``: the fields' metrics on predictions vs ground truth.

Each task's evaluator lands with its command's issue.
"""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer(help="The fields' metrics on predictions vs ground truth.", no_args_is_help=True)
add_pending(app, "register", issue=4, what="registration metrics (RE/TE/RMSE/recall)", help="RE, TE, RMSE, recall")
add_pending(app, "landmarks3d", issue=5, what="3D landmark error in mm", help="Per-landmark mm error")
add_pending(app, "align", issue=6, what="NME/FR/AUC/CED", help="NME, FR@0.1, AUC@0.1, CED")
add_pending(app, "normals", issue=7, what="angular error of normal maps", help="Angular error of normal maps")
add_pending(app, "verify", issue=8, what="EER, TAR@FAR, LFW 10-fold accuracy", help="EER, TAR@FAR, 10-fold accuracy")
add_pending(app, "apex", issue=9, what="apex MAE", help="Apex MAE in frames")
add_pending(app, "mer", issue=10, what="pooled UF1/UAR", help="Pooled UF1/UAR")

__all__ = ["app"]
