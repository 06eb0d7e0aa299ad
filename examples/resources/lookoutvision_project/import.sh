# A project is imported by its name.
terraform import lookoutvision_project.example circuit-boards
