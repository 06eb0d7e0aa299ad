import {
  to = lookoutvision_dataset.train
  identity = {
    project_name = "circuit-boards"
    dataset_type = "train"
  }
}
