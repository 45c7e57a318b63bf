"""Training losses: the teacher-logit MSE of distillation."""

import pytest
import torch

from sktag.training.losses import TeacherLogitMSE


def test_teacher_logit_mse_is_minimised_at_the_teacher_logits_and_keeps_rare_tags_alive():
    teacher = torch.tensor([[0.9, 0.01, 0.0], [0.2, 0.02, 1.0]])
    loss = TeacherLogitMSE(eps=1e-4)
    exact = torch.logit(teacher.clamp(1e-4, 1 - 1e-4))
    assert loss(exact, teacher).item() == pytest.approx(0.0, abs=1e-10)
    assert torch.sigmoid(exact)[0, 0].item() == pytest.approx(0.9)
    # a student at logit 0 for a tag the teacher rates at 1-2 %: BCE barely pushes, logit MSE does
    student = torch.zeros(2, 3, requires_grad=True)
    loss(student, teacher).backward()
    logit_push = student.grad[:, 1].abs().mean().item()
    student.grad = None
    torch.nn.functional.binary_cross_entropy_with_logits(student, teacher).backward()
    assert logit_push > 5 * student.grad[:, 1].abs().mean().item()
