"""What awaits one person (`/todo`): stances their organisation owes, prompts they have not
answered, the check-in they may answer, the actions they own. See `service`."""

from bot.services.todo.service import PROMPT_DAYS, TodoService
from bot.services.todo.views import TodoItem, TodoKind, TodoList

__all__ = ["PROMPT_DAYS", "TodoItem", "TodoKind", "TodoList", "TodoService"]
