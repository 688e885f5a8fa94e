"""SmoothOperator (stand-in of airflow.operators.smooth): logs a link to a song, as Airflow's does."""
from airflow.models.baseoperator import BaseOperator


class SmoothOperator(BaseOperator):
    ui_color = "#e8f7e4"
    yt_link = "https://www.youtube.com/watch?v=4TYv2PhG89A"
    _dagbridge_kind = "custom"

    def execute(self, context):
        self.log.info("Enjoy Sade - Smooth Operator: %s", self.yt_link)


__all__ = ["SmoothOperator"]
