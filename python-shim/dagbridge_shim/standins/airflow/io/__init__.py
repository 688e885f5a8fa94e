"""Stand-in of airflow.io (object storage): ``airflow.io.path.ObjectStoragePath`` on local paths."""
