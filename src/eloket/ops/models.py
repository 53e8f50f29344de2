from django.db import models


class TaskOrigin(models.Model):
    """The request a queued task was enqueued in: the worker logs the task's lines under
    that request's id (ops/tasks.py). Deleted when the task has run."""

    task_id = models.CharField(max_length=64, primary_key=True)
    request_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.task_id} <- {self.request_id}"
