# A dataset is imported by its project name and type, separated by a colon.
terraform import lookoutvision_dataset.train circuit-boards:train
