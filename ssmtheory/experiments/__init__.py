"""The experiment drivers the notebooks call: the authors' models and protocols at CPU scale, trainers and studies.
They build on the core (``ssmtheory.ssm``, ``models``, ``train``) and on the formulas in ``ssmtheory.theory``.
"""
