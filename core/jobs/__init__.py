"""Background work: the dramatiq broker and actors, and the scheduler that feeds them.

Messages carry ids only; the job code lives in the services (`TimerJobs.fire_many`,
`Deliverer.deliver`), so the embedded mode runs the very same code in-process.
"""

__all__: list[str] = []
