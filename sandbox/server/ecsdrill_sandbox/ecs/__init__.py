"""ecsdrill's own ECS: the model (model.py), the simulation over it (sim.py), the
API that answers ECS requests from it (provider.py) and the output shapes (shapes.py).

Nothing in this package imports moto. What ECS needs from other services (ECR
images, IAM roles, subnets, target groups, secrets, log groups) it asks through
the ``World`` interface in world.py; the server hands it moto_adapter's World, the
in-process tests a fake one.
"""
