END = object()  # returned by a task when the call is over
