# A model is imported by its project name and version number, separated by a colon.
terraform import lookoutvision_model.example circuit-boards:1
